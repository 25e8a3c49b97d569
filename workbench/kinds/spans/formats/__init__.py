"""Text-span formats: Prodigy-style JSONL, CoNLL IOB2, Label Studio JSON, Hugging
Face token-classification columns and spaCy DocBin (re-exported by
:mod:`workbench.formats`)."""
