-- Every project read asks whether a training session holds its sandboxes: an index keeps that a
-- lookup as sessions accumulate. Keep in step with ../sqlite/0016_training_sessions_by_project.sql.
CREATE INDEX training_sessions_by_project ON training_sessions (project_id);
