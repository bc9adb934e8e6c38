"""The contact-centre hub core."""
