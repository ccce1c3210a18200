"""Screening: read a comment as a person would, match the word lists, score it with the trained models, and sum
it all into the queue's risk. Pure text work with no Redis, so the API (comments:analyze) and the workers share it."""
