"""Solution values for notebook 02's exercises (gathered by ``answers.py``)."""

SOLUTIONS: dict[tuple[str, str], dict[str, dict[str, object]]] = {
    # 02: static a year and immutable; products 30 s everywhere (no copy older than 30 s);
    # account pages kept 30 s by browsers only: about 24.5 % of reads reach the application,
    # oldest copy 29.4 s. The preset's own headers fail: the CDN's 60 s s-maxage serves
    # copies up to 59 s out of date. (Products 30/30 with account "private, no-store" or
    # "private" fail the other bound: about 27.9 % reach the application.)
    ("02-place-caches-across-tiers", "exercise-headers"): {
        "solution": {"static_cc": "public, max-age=31536000, immutable",
                     "product_cc": "public, max-age=30, s-maxage=30",
                     "account_cc": "private, max-age=30"},
        "wrong": {"static_cc": "public, max-age=31536000, immutable",
                  "product_cc": "public, max-age=10, s-maxage=60",
                  "account_cc": "private, no-store"},
    },
    # 02: the PoP's copy (and the browser's copy of it) is 20 s old against s-maxage = 60 s:
    # fresh for the CDN, same ETag, so the CDN answers the browser's conditional request
    # with a 304 itself. True assumes every revalidation goes to the origin.
    ("02-place-caches-across-tiers", "exercise-revalidation"): {
        "solution": {"reaches_origin": False},
        "wrong": {"reaches_origin": True},
    },
    # 02: max-age = 10 s for a browser, minus the Age of 4 s: 6 s. 10 forgets the Age;
    # 56 uses s-maxage, which is for shared caches.
    ("02-place-caches-across-tiers", "exercise-age"): {
        "solution": {"answer": 6},
        "wrong": {"answer": 10},
    },
}
