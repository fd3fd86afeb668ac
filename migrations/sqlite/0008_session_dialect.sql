-- Which interface opened a session (a dialect's name: drupal, services, django, platformos),
-- so a client can be told where its session came from. Sessions opened before this column
-- existed keep NULL: their origin was not recorded.
ALTER TABLE sessions ADD COLUMN dialect TEXT;
