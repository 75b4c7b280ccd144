-- Which server process runs an import's check or run (`Instance::id()`),
-- so that a restarted server closes what its earlier start was doing at
-- once, instead of after the upkeep's minute of silence.
ALTER TABLE import_jobs ADD COLUMN worker TEXT;
