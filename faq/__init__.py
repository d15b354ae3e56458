"""Help-center FAQ question answering: shared errors, settings, text rules and the `faq` CLI."""
