"""Network clients: the HTTP retry loop, answer checks, paging, web helpers, MediaWiki and Conduit."""
