"""REST API v1 (/api/v1/): personal access tokens and sessions, one error format, cursor
pagination, throttles, an OpenAPI 3.1 schema. Views are thin: they call the apps' services
and selectors and tickets.access, exactly as the pages do."""
