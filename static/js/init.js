import { initAll } from '../govuk/govuk-frontend.min.js'

initAll()

// Progressive enhancement only: without JavaScript the print button stays hidden and the
// browser's own Print command does the same job.
for (const button of document.querySelectorAll('[data-casework-print]')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}
