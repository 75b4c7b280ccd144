-- One bulk action runs per guild at a time; the others wait their turn as
-- 'queued'. `worker` names the server process that holds the run
-- ("{host}:{port}#{boot}"), so a server that restarts after a crash can
-- close its own earlier runs at once instead of after a minute of silence.
ALTER TABLE bulk_runs DROP CONSTRAINT bulk_runs_status_check,
    ADD CONSTRAINT bulk_runs_status_check
    CHECK (status IN ('queued', 'running', 'done', 'interrupted'));
ALTER TABLE bulk_runs ADD COLUMN worker TEXT;
DROP INDEX bulk_runs_running;
-- The guild's queue (who runs next, how many are ahead) and the upkeep's
-- search for runs whose server stopped.
CREATE INDEX bulk_runs_active ON bulk_runs (guild_id, id) WHERE status IN ('queued', 'running');
