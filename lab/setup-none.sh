#!/usr/bin/env bash
# A host without a web server.
exit 0
