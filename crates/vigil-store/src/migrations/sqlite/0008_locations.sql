-- Schema v8: where a workforce member and a patient live, as "lat,lon" in
-- decimal degrees, for the neighbour rule's distance check.
ALTER TABLE people ADD COLUMN location TEXT;
ALTER TABLE patients ADD COLUMN location TEXT;
