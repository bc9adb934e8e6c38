"""WeChat Official Account: callback security, the XML formats, and the platform API."""
