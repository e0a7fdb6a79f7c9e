"""Live sessions of a cohort: scheduling in time zones, calendars, attendance and what trainers delivered."""
