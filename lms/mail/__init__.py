"""E-mail: writing messages into the outbox, delivering them, the server's state, the local mailbox.

``outbox`` renders a message in its recipient's language and queues it; ``delivery`` sends the
queue over SMTP (or keeps it in the local mailbox, ``mailbox_views``, when no server is set);
``server_status`` is what delivery last found the mail server to be, for the office's banner.
"""
