"""Reading the published warehouse for people: the scorecard (terminal) and reports."""
