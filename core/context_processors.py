"""The page's language, for the language links, the root element's `lang` and `dir`, and the
notes an unreviewed or unknown language shows."""

from urllib.parse import urlencode

from core import languages


def language(request):
    code = getattr(request, "LANGUAGE_CODE", languages.ENGLISH)
    current = languages.language(code)
    query = request.GET.copy()
    query.pop("language", None)
    english_query = urlencode({**query.dict(), "language": languages.ENGLISH})
    return {
        "page_language": current,
        "language_unknown": getattr(request, "language_unknown", ""),
        "site_languages": [languages.language(c) for c in languages.SITE_LANGUAGES],
        "victim_languages": [languages.language(c) for c in languages.VICTIM_LANGUAGES],
        "english_url": f"{request.path}?{english_query}",
        "path_without_language": request.path + (("?" + query.urlencode()) if query else ""),
    }
