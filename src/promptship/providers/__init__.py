"""LLM providers behind one small async interface (see `base.Provider`).

Vendor SDKs are imported lazily inside each provider so that `check` and `render` start
fast and work without them.
"""
