#!/usr/bin/env node
// A committed launcher: npm links bins at install time, before `prepare` builds dist/.
import '../dist/bin.js';
