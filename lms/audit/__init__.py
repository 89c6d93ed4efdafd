"""The audit trail: recording what people do (``trail``), the office's log page (``views``), and its words.

Every feature records its actions through ``trail.record`` and registers the sentences that tell
them (``trail.add_sentence``), so ``lms`` tells the events of every feature without importing one.
"""
