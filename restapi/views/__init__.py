"""The API's views, by what they act on; each calls the engine through engine.api."""
