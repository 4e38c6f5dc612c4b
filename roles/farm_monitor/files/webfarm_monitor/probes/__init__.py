"""One module per panel of the page (topologies.yml's panels): what its sources say, as rows."""
