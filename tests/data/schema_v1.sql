-- A store as version 1 of the dashboard created it (before records had a "source").
CREATE TABLE meta (key VARCHAR(64) NOT NULL PRIMARY KEY, value VARCHAR(256) NOT NULL);
CREATE TABLE patients (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL UNIQUE,
    revision INTEGER DEFAULT '0' NOT NULL, created_at DATETIME NOT NULL);
CREATE TABLE daily_checkins (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    date DATE NOT NULL, pain FLOAT, sleep_hours FLOAT, sleep_quality FLOAT, fatigue FLOAT,
    stiffness FLOAT, anxiety FLOAT, low_mood FLOAT, fog FLOAT, headache FLOAT,
    notes TEXT DEFAULT '' NOT NULL,
    CONSTRAINT uq_daily_patient_date UNIQUE (patient_id, date));
CREATE TABLE area_pain (
    checkin_id INTEGER NOT NULL REFERENCES daily_checkins (id) ON DELETE CASCADE,
    area VARCHAR(20) NOT NULL, pain FLOAT NOT NULL, PRIMARY KEY (checkin_id, area));
CREATE TABLE sessions (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    start DATETIME NOT NULL, duration_min FLOAT NOT NULL, pressure VARCHAR(20) NOT NULL,
    technique VARCHAR(200) DEFAULT '' NOT NULL, therapist VARCHAR(200) DEFAULT '' NOT NULL,
    pain_before FLOAT, pain_after FLOAT, notes TEXT DEFAULT '' NOT NULL,
    CONSTRAINT uq_session_patient_start UNIQUE (patient_id, start));
CREATE TABLE session_areas (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    area VARCHAR(20) NOT NULL, PRIMARY KEY (session_id, area));
CREATE TABLE doses (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    time DATETIME NOT NULL, name VARCHAR(200) NOT NULL, drug_class VARCHAR(40) NOT NULL,
    dose FLOAT, unit VARCHAR(40) DEFAULT '' NOT NULL, reason TEXT DEFAULT '' NOT NULL,
    CONSTRAINT uq_dose_patient_time_name UNIQUE (patient_id, time, name));
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO patients VALUES (1, 'Robin', 3, '2025-01-02 09:00:00.000000');
INSERT INTO daily_checkins VALUES (1, 1, '2025-01-02', 6, 5.5, 4, 7, 6, 3, 4, 5, 2, 'stiff morning');
INSERT INTO area_pain VALUES (1, 'neck', 7);
INSERT INTO sessions VALUES (1, 1, '2025-01-02 17:30:00.000000', 60, 'moderate', 'Shiatsu', 'Sam', 7, 4, '');
INSERT INTO session_areas VALUES (1, 'neck');
INSERT INTO session_areas VALUES (1, 'shoulders');
INSERT INTO doses VALUES (1, 1, '2025-01-02 08:00:00.000000', 'Paracetamol', 'simple_analgesic', 1000, 'mg', 'pain');
