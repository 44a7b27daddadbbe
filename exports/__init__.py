"""Files an official can file: the execution report as XLSX or CSV and a status chart as PNG.

Renderers only: the figures and rows come from models.execution. Nothing here imports aiogram, handlers,
scheduler or bot; a handler sends the files (FSInputFile) and says when an export was split in parts.
"""
