"""Where the bench finds the BLIP-2 engine until it imports it from its family's room."""

from assistant.engine.families.blip2.engine import Blip2Engine as Blip2Engine
from assistant.engine.loading import from_pretrained_options as from_pretrained_options

__all__ = ["Blip2Engine", "from_pretrained_options"]
