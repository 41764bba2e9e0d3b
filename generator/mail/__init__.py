"""Mail out: contacts, drafts, sending."""
