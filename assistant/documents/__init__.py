"""Alt-text for documents: find images without descriptions, describe them, write them back."""

import logging

# Unexpected problems are logged with their tracebacks; nothing reaches the terminal unless asked for.
logging.getLogger(__name__).addHandler(logging.NullHandler())
