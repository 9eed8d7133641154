"""wiki"""
