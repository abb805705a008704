"""One exception hierarchy: every error tilqa raises on purpose is a `TilqaError`."""


class TilqaError(Exception):
    """Base class of tilqa's errors; its message is meant for the user."""


class SettingsError(TilqaError, ValueError):
    """A setting, argument or environment variable has a value tilqa cannot use."""


class CorpusError(TilqaError):
    """The corpus directory is missing, or holds no readable document."""


class IndexCorruptError(TilqaError):
    """The saved index is damaged or inconsistent; it must be rebuilt from the corpus."""


class IndexFormatError(TilqaError):
    """The saved index was written in another format by another tilqa: not damaged, but stale;
    it is rebuilt from the corpus."""


class IndexLockedError(TilqaError):
    """Another process is building the index and did not finish in time."""


class QuestionError(TilqaError, ValueError):
    """The question cannot be answered as given (empty, or no words in it)."""


class EvalFileError(TilqaError, ValueError):
    """A question file for `tilqa eval` cannot be read, or a line of it is not a question record."""


class ExtractionError(TilqaError):
    """A document's text cannot be extracted (encrypted, damaged, a scan without text); the
    message says why, and the file is skipped."""


class UploadError(TilqaError):
    """A file given to add to the corpus was refused (unsupported type, too large, unreadable);
    the message names the problem, and the corpus is left as it was."""


class ClusterError(TilqaError):
    """The Ray cluster cannot be reached, or embedding on it failed; nothing was half written."""
