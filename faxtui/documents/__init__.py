"""Documents in, fax pages out (and back)."""
