"""Finding, checking and classifying the returned workbooks, from folders and from the mailbox."""
