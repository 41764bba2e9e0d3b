"""The MkDocs site: page views, hall pages, province pages, charts, search, the build of the site."""
