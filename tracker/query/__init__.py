"""The search language -> tracker's own query model, plus a readable account.

    lex      query text -> tokens
    parser   tokens -> query nodes (the grammar, bare-word expansion)
    fields   the `field:value` leaves and numeric ranges
    expand   what a term means: brands, classes, conditions, study types, journals
"""
