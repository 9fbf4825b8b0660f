DROP TABLE password_resets;
DROP TABLE audit_events;
DROP TABLE invitations;
