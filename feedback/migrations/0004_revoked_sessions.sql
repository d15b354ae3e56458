-- Team sessions signed out before their expiry (service.team_session): every worker and replica refuses them.
CREATE TABLE revoked_sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    expires_at DOUBLE PRECISION NOT NULL
);
