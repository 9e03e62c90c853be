"""Stories: articles about one event, grouped at ingest, and what is read from them
(timelines, briefings)."""
