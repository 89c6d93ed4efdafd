"""The one error every step of a backup or a restore refuses with: the commands show its message as it is."""


class BackupError(Exception):
    """A backup that cannot be written, or a snapshot that cannot be restored; the message says why."""
