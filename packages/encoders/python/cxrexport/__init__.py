"""Export chest X-ray / report dual encoders to cxr-bundle/1 folders (see ../../BUNDLE.md)."""
