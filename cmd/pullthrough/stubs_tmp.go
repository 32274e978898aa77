package main

import "io"

func runWebhook(args []string, stdout, stderr io.Writer) error { return usagef("not yet") }
func runMigrate(args []string, stdout, stderr io.Writer) error { return usagef("not yet") }
