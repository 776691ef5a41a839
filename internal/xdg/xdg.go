// Package xdg finds the base folders of the XDG Base Directory
// Specification: configuration, data and state.
package xdg

import (
	"errors"
	"os"
	"path/filepath"
)

// The variables and the folders under the home directory they default to.
var (
	Config = Base{"XDG_CONFIG_HOME", ".config"}
	Data   = Base{"XDG_DATA_HOME", filepath.Join(".local", "share")}
	State  = Base{"XDG_STATE_HOME", filepath.Join(".local", "state")}
)

// Base is one base folder: its variable and its default under $HOME.
type Base struct {
	Var     string
	Default string
}

// ErrNoHome is returned when neither the variable nor $HOME gives a folder.
var ErrNoHome = errors.New("xdg: no home folder")

// Dir returns the base folder from the environment: the variable when it is
// an absolute path (the specification says to ignore a relative one), else
// the default under $HOME.
func (b Base) Dir() (string, error) {
	return b.DirFrom(os.Getenv)
}

// DirFrom is Dir with the environment read through getenv.
func (b Base) DirFrom(getenv func(string) string) (string, error) {
	if x := getenv(b.Var); x != "" && filepath.IsAbs(x) {
		return x, nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, b.Default), nil
	}
	return "", ErrNoHome
}
