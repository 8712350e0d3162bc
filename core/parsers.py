"""The API's JSON parser (its own module: DRF imports parsers while it loads its views)."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with JSON nested deeper than Python's decoder can follow answered as
    a 400 naming the problem, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the JSON is nested too deeply."
            ) from None
