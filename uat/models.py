"""Models of this app arrive with its feature; the app is installed so migrations start clean."""
