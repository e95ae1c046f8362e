"""The league core: the only code that opens the database (models, jobs, ratings, reads)."""
