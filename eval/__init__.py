"""`faq eval`: how often the service answers right, stays silent when it should, and how fast it is."""
