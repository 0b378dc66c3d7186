"""The demo clinics: at the top, above every app of the journey, whose services it calls."""
