"""Schemathesis hooks of `npm run test:fuzz` (loaded through SCHEMATHESIS_HOOKS).

What JSON Schema cannot say about POST /orders, said here so the fuzzer knows it:
- each SKU may appear once in `items` (a duplicate is a documented 400: "unique by a property" has no JSON Schema
  keyword). Bodies with a duplicate SKU are left out, so a "valid" body really is valid and a rejected one was meant
  to be invalid.
"""
import schemathesis


def _has_duplicate_sku(body):
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return False
    skus = [line.get("sku") for line in body["items"] if isinstance(line, dict) and isinstance(line.get("sku"), str)]
    # The API compares SKUs after NFC normalisation.
    import unicodedata

    normalised = [unicodedata.normalize("NFC", s) for s in skus]
    return len(set(normalised)) != len(normalised)


@schemathesis.hook
def filter_body(ctx, body):
    return not _has_duplicate_sku(body)
