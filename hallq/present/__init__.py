"""The read side shared by the JSON API and the pages: the output models (what an answer
holds, and what a page shows of the same rows) and the presenters that make them from the
domain's rows, so that a page and the API never show one thing two ways.

It imports neither the API (hallq.api) nor any room: both build on it. Its presenters take
what they need as arguments (the unit of work, the hall, the spec) rather than reading the
app's state."""

# The JSON API's address: the pages' scripts call the API there.
API_PREFIX = "/api/v1"
