"""The sign-off PDF (placeholder until the renderer lands)."""


def render_signoff_pdf(signoff) -> bytes:
    raise NotImplementedError
