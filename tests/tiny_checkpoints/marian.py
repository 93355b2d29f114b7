"""A tiny random Marian translation checkpoint saved like a published opus-mt one: MarianMTModel and a
complete MarianTokenizer (source.spm and target.spm trained here with `sentencepiece`, vocab.json).

It loads through the same `from_pretrained` path as a downloaded opus-mt model; its words are random.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

_CORPUS = """
a photo of a cat sitting on a couch next to a window. a dog running on the grass in a park.
a screenshot of a web page with a search box. the text says welcome to the meeting.
una foto de un gato sentado en un sofá junto a una ventana. un perro corre por la hierba.
¿de qué color es el coche? ¿cuántas personas hay en la imagen? ¡hola! el niño y la señora.
what colour is the car? how many people are in the picture? what does the text say?
""".strip()


def _spm(folder: Path, name: str) -> list[str]:
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS.splitlines()),
        model_writer=model,
        vocab_size=80,
        model_type="unigram",
        hard_vocab_limit=False,
        character_coverage=1.0,
        # Marian's specials are its own (vocab.json); the spm model only splits words.
        pad_id=-1,
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        minloglevel=2,
    )
    (folder / name).write_bytes(model.getvalue())
    processor = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build(folder: Path, full_size: bool = False) -> Path:
    """Save a random Marian checkpoint in `folder`; `full_size` has opus-mt-en-es's shape (6 layers of
    512, a 65,001-token vocabulary) for the benchmark, else it is a few kilobytes."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    pieces = _spm(folder, "source.spm")
    pieces += _spm(folder, "target.spm")
    words = ["</s>", "<unk>", "<pad>", *sorted(set(pieces) - {"<unk>"})]
    vocab_size = 65001 if full_size else len(words)
    words += [f"<extra_{index}>" for index in range(vocab_size - len(words))]
    (folder / "vocab.json").write_text(json.dumps({word: i for i, word in enumerate(words)}), "utf-8")
    tokenizer = MarianTokenizer(
        source_spm=str(folder / "source.spm"),
        target_spm=str(folder / "target.spm"),
        vocab=str(folder / "vocab.json"),
    )
    tokenizer.save_pretrained(folder)
    size = {"d_model": 512, "layers": 6, "heads": 8, "ffn": 2048} if full_size else {}
    config = MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=size.get("d_model", 16),
        encoder_layers=size.get("layers", 1),
        decoder_layers=size.get("layers", 1),
        encoder_attention_heads=size.get("heads", 2),
        decoder_attention_heads=size.get("heads", 2),
        encoder_ffn_dim=size.get("ffn", 32),
        decoder_ffn_dim=size.get("ffn", 32),
        max_position_embeddings=512,
        pad_token_id=2,
        eos_token_id=0,
        decoder_start_token_id=2,
        forced_eos_token_id=0,
        max_length=64,
        num_beams=1,
        architectures=["MarianMTModel"],
    )
    torch.manual_seed(0)
    MarianMTModel(config).eval().save_pretrained(folder)
    return folder
