"""Who an assignment, a campaign or an event reaches: the rules (``rules``) and the form fields that build them."""
