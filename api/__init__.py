"""The league server: REST API and web dashboard over the league core."""
