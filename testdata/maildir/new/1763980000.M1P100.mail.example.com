Return-Path: <>
From: Microsoft Outlook <postmaster@outlook.example.com>
To: events@example.com
Subject: Undeliverable: Invitation
Date: Tue, 24 Nov 2026 09:30:00 +0000
Content-Type: text/plain; charset=utf-8

Your message to lena@example.org couldn't be delivered.

lena wasn't found at example.org.

Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient lena@example.org not found by SMTP address lookup'
