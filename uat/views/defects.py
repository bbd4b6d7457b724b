"""Pages of this area; filled in with the feature."""

urlpatterns: list = []
